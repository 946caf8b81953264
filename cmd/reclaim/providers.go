package main

// Every provider adapter this build knows registers itself on import. Add one
// line per adapter package.
import (
	_ "reclaim/provider/brevo"
	_ "reclaim/provider/drill"
	_ "reclaim/provider/mailchimp"
	_ "reclaim/provider/mailgun"
	_ "reclaim/provider/mailjet"
	_ "reclaim/provider/postmark"
	_ "reclaim/provider/sendgrid"
	_ "reclaim/provider/twilio"
)
