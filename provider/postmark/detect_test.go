package postmark

import (
	"math/rand/v2"
	"testing"
)

func uuid(r *rand.Rand) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 36)
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		default:
			b[i] = hex[r.IntN(16)]
		}
	}
	return string(b)
}

func TestDetector(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	tok := uuid(r)
	for _, in := range []string{
		"POSTMARK_TOKEN=" + tok,
		"  postmarkServerToken: '" + tok + "',",
		"    private const POSTMARK_SERVER_TOKEN = '" + tok + "';",
		"'postmark' =>\n    array (\n      'token' => '" + tok + "',",
		"Uncaught Postmark\\Models\\PostmarkException: (token " + tok + ") in /var/www/x.php:210",
		"X-Postmark-Server-Token: " + tok,
	} {
		ms := Detector.Run([]byte(in))
		if len(ms) != 1 || in[ms[0].Start:ms[0].End] != tok {
			t.Errorf("%q: got %+v", in, ms)
		}
	}
	for _, decoy := range []string{
		`{"level":30,"msg":"email sent via postmark","to":"a@example.com","MessageID":"` + uuid(r) + `"}`,
		"postmark webhook: RecordType=Delivery MessageID=" + uuid(r) + " ServerID=12345",
		`{"reqId":"` + uuid(r) + `","msg":"sent via postmark"}`,
		"define( 'WPMS_POSTMARK_SERVER_API_TOKEN', '00000000-0000-0000-0000-000000000000' );",
		"new PostmarkClient('POSTMARK_API_TEST'); // or a server token like 'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx'",
		"Request id for the outage: " + uuid(r),
	} {
		if ms := Detector.Run([]byte(decoy)); len(ms) != 0 {
			t.Errorf("decoy %q matched %+v", decoy, ms)
		}
	}
}
