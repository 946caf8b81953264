package leakscan

// The detectors register themselves from their provider packages.
import (
	_ "reclaim/provider/brevo"
	_ "reclaim/provider/mailchimp"
	_ "reclaim/provider/mailgun"
	_ "reclaim/provider/mailjet"
	_ "reclaim/provider/postmark"
	_ "reclaim/provider/sendgrid"
	_ "reclaim/provider/twilio"
)
