package sendgrid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"reclaim/provider"
)

// rateHeaders are SendGrid's rate-limit headers: X-RateLimit-Reset is a Unix
// time in seconds.
var rateHeaders = provider.RateHeaders{
	Limit: "X-RateLimit-Limit", Remaining: "X-RateLimit-Remaining", Reset: "X-RateLimit-Reset", ResetEpoch: true,
}

// call is one API request.
type call struct {
	op     string // what reclaim was doing, for errors: "list API keys"
	method string
	route  string     // the spec's path template, e.g. "/v3/api_keys/{api_key_id}" (scope table key)
	path   string     // the concrete path
	query  url.Values // optional
	body   any        // JSON request body, or nil
	// onBehalfOf names the subuser to act as ("" for the account itself).
	onBehalfOf string
	// idempotent calls are retried after a 5xx or a failed connection
	// (never after a timeout).
	idempotent bool
	// key overrides the client's key (VerifyKey).
	key string
}

// bearer sets key as the request's credential.
func bearer(key string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+key) }
}

// do sends k through the shared transport and decodes a 2xx JSON body into
// out (nil: ignore the body; a func([]byte) error: hand it the raw body,
// which must not be kept).
func (c *Client) do(ctx context.Context, k call, out any) error {
	r := provider.Request{
		Op: k.op, Method: k.method, Path: k.path, Route: k.route, Query: k.query, JSON: k.body,
		// SendGrid marks each call: a DELETE of a key is no repeatable
		// read, a POST /v3/logs is.
		NotIdempotent: !k.idempotent, ForceIdempotent: k.idempotent,
	}
	if k.onBehalfOf != "" {
		r.Header = http.Header{"On-Behalf-Of": {k.onBehalfOf}}
	}
	if k.key != "" {
		r.Auth = bearer(k.key)
	}
	return c.hc.Do(ctx, r, func(status int, data []byte) error {
		if out == nil || status == http.StatusNoContent || len(bytes.TrimSpace(data)) == 0 {
			return nil
		}
		var err error
		if f, ok := out.(func([]byte) error); ok {
			err = f(data)
		} else {
			err = json.Unmarshal(data, out)
		}
		var pe *provider.Error
		if err == nil || errors.As(err, &pe) {
			return err
		}
		return &provider.Error{Kind: provider.ErrUnavailable, Op: k.op, Status: status,
			Message: fmt.Sprintf("SendGrid sent malformed JSON for %s %s", k.method, k.route), Err: errors.New(provider.JSONProblem(err))}
	})
}

// refine names the missing scope of a 403 from the route table.
func refine(r *provider.Request, status int, _ http.Header, _ []byte, e *provider.Error) {
	if status == http.StatusForbidden {
		e.Scope = ScopeFor(r.Method, r.Route)
	}
}

// errorBody is SendGrid's error shape (spec ErrorResponse).
type errorBody struct {
	Errors []struct {
		Field   *string `json:"field"`
		Message string  `json:"message"`
	} `json:"errors"`
}

// errorMessage extracts "field: message; …" from an error body.
func errorMessage(data []byte) string {
	var eb errorBody
	if json.Unmarshal(data, &eb) != nil || len(eb.Errors) == 0 {
		return ""
	}
	var parts []string
	for _, x := range eb.Errors {
		m := x.Message
		if x.Field != nil && *x.Field != "" {
			m = *x.Field + ": " + m
		}
		if m != "" {
			parts = append(parts, m)
		}
		if len(parts) == 5 {
			break
		}
	}
	return strings.Join(parts, "; ")
}
