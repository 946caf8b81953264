// Package all links in every provider adapter this build knows: each
// registers itself (its Info, detectors and drill style) on import. Adding a
// provider is its own folder under provider/ plus one line here; the command
// and the tests that run every built-in drill import this package.
package all

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
