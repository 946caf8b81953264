package checklist

// Drill scenarios imitate providers through the styles their adapters
// declare (provider.RegisterDrillStyle): the tests link the adapters in, as
// the command does.
import (
	_ "reclaim/provider/brevo"
	_ "reclaim/provider/mailjet"
	_ "reclaim/provider/postmark"
	_ "reclaim/provider/sendgrid"
	_ "reclaim/provider/twilio"
)
