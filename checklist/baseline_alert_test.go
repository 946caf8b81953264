package checklist

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPostWebhookSignsRetriesAndFollowsNoRedirect(t *testing.T) {
	secret := []byte("0123456789abcdef-webhook-secret")
	body := []byte(`{"event":"reclaim.drift"}`)
	var mu sync.Mutex
	var deliveries []string
	answers := []int{500, 429, 204}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got, _ := io.ReadAll(r.Body)
		if err := VerifyWebhook(secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), got, time.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
		}
		if err := VerifyWebhook([]byte("another secret, 16+ bytes"), r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), got, time.Now(), 5*time.Minute); err == nil {
			t.Error("another secret verifies")
		}
		if err := VerifyWebhook(secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), append(got, ' '), time.Now(), 5*time.Minute); err == nil {
			t.Error("a changed body verifies")
		}
		if r.Header.Get("Content-Type") != "application/json" || r.Method != http.MethodPost {
			t.Errorf("%s %s", r.Method, r.Header.Get("Content-Type"))
		}
		deliveries = append(deliveries, r.Header.Get(HeaderDelivery))
		w.WriteHeader(answers[0])
		answers = answers[1:]
	}))
	defer srv.Close()
	if err := PostWebhook(context.Background(), srv.URL+"/hook", body, WebhookOptions{Secret: secret, Backoff: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if len(deliveries) != 3 || deliveries[0] == "" || deliveries[0] != deliveries[2] {
		t.Errorf("deliveries: %v", deliveries)
	}

	// A stale timestamp is refused by the receiver's check (a replay).
	ts := time.Now().Add(-time.Hour).Unix()
	if err := VerifyWebhook(secret, strconv.FormatInt(ts, 10), SignWebhook(secret, ts, body), body, time.Now(), 5*time.Minute); err == nil {
		t.Error("a replayed alert verifies")
	}

	// No redirect is followed; a refusal says so; bad targets are refused
	// before anything is sent.
	redir := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusFound)
	}))
	defer redir.Close()
	if err := PostWebhook(context.Background(), redir.URL, body, WebhookOptions{Secret: secret}); err == nil || !strings.Contains(err.Error(), "redirect") {
		t.Errorf("redirect: %v", err)
	}
	refuse := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(403)
		_, _ = w.Write([]byte("\x1b[2Jgo away"))
	}))
	defer refuse.Close()
	if err := PostWebhook(context.Background(), refuse.URL, body, WebhookOptions{Secret: secret}); err == nil || !strings.Contains(err.Error(), "403") || strings.Contains(err.Error(), "\x1b") {
		t.Errorf("403: %v", err)
	}
	if err := PostWebhook(context.Background(), "http://hooks.example.com/x", body, WebhookOptions{Secret: secret}); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("plain http off loopback: %v", err)
	}
	if err := PostWebhook(context.Background(), srv.URL, body, WebhookOptions{Secret: []byte("short")}); err == nil {
		t.Error("a short secret is accepted")
	}
}
