package twilio

import (
	"encoding/json"
	"strings"
	"time"
)

// The fields reclaim reads, as the specs name them. Secrets Twilio puts in
// some answers (the account resource's auth_token) are never declared, so
// they are never decoded or held.

// account is api.v2010.account (without auth_token).
type account struct {
	SID     string `json:"sid"`
	Name    string `json:"friendly_name"`
	Status  string `json:"status"` // active, suspended, closed
	Type    string `json:"type"`   // Trial, Full
	Owner   string `json:"owner_account_sid"`
	Created twTime `json:"date_created"`
}

// keyV1 is iam.v1.get_keys (a list item).
type keyV1 struct {
	SID     string   `json:"sid"`
	Name    string   `json:"friendly_name"`
	Created twTime   `json:"date_created"`
	Flags   []string `json:"flags"`
}

// policy is a restricted key's Policy object.
type policy struct {
	Allow []string `json:"allow"`
}

// keyDetail is iam.v1.key (one key, with its policy).
type keyDetail struct {
	SID    string  `json:"sid"`
	Policy *policy `json:"policy"`
}

// newKey is iam.v1.new_key.
type newKey struct {
	SID     string  `json:"sid"`
	Name    string  `json:"friendly_name"`
	Created twTime  `json:"date_created"`
	Secret  string  `json:"secret"`
	Policy  *policy `json:"policy"`
}

// number is api.v2010.account.incoming_phone_number (its webhook URLs).
type number struct {
	SID              string `json:"sid"`
	Phone            string `json:"phone_number"`
	Name             string `json:"friendly_name"`
	SmsURL           string `json:"sms_url"`
	SmsFallbackURL   string `json:"sms_fallback_url"`
	VoiceURL         string `json:"voice_url"`
	VoiceFallbackURL string `json:"voice_fallback_url"`
	StatusCallback   string `json:"status_callback"`
	SmsApp           string `json:"sms_application_sid"`
	VoiceApp         string `json:"voice_application_sid"`
	Created          twTime `json:"date_created"`
}

// event is monitor.v1.event.
type event struct {
	SID          string `json:"sid"`
	Type         string `json:"event_type"`
	ActorType    string `json:"actor_type"`
	ResourceSID  string `json:"resource_sid"`
	ResourceType string `json:"resource_type"`
	Source       string `json:"source"`
	IP           string `json:"source_ip_address"`
	Date         twTime `json:"event_date"`
}

// secondaryToken is accounts.v1.secondary_auth_token.
type secondaryToken struct {
	Account string `json:"account_sid"`
	Token   string `json:"secondary_auth_token"`
	Created twTime `json:"date_created"`
}

// promotion is accounts.v1.auth_token_promotion.
type promotion struct {
	Account string `json:"account_sid"`
	Token   string `json:"auth_token"`
	Updated twTime `json:"date_updated"`
}

// errorBody is Twilio's error body (2010: code, message, more_info,
// status; "V1 standard" APIs: code, message, httpStatusCode, params,
// userError).
type errorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// twTime is a Twilio date: RFC 2822 in the 2010 API and on keys
// ("Mon, 13 Jun 2016 22:50:08 +0000"), ISO 8601 on events and auth tokens;
// null or an unknown format is the zero time (not worth failing a listing
// for).
type twTime struct{ time.Time }

func (t *twTime) UnmarshalJSON(b []byte) error {
	var s string
	if string(b) == "null" || json.Unmarshal(b, &s) != nil {
		return nil
	}
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC3339Nano, "2006-01-02T15:04:05"} {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return nil
}
