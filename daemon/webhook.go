package daemon

import (
	"errors"
	"io"
	"net/http"

	"github.com/switchboardpay/switchboard/daemon/session"
)

// MaxWebhookBody caps one delivery's body.
const MaxWebhookBody = 1 << 20

// serveWebhook is the ingress, /webhooks/{sessionId}/{secret}/{config}: a
// PSP cannot send the bearer token, so the session's secret path segment
// stands in for it (compared in constant time by the session manager).
// Unknown sessions and wrong secrets get the same 404.
func (d *Daemon) serveWebhook(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "webhook body too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	out, ok := d.sessions.Deliver(r.Context(), session.Delivery{
		SessionID: r.PathValue("session"), Secret: r.PathValue("secret"), Config: r.PathValue("config"),
		Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Headers: r.Header, Body: body,
	})
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(out.Status)
	for _, s := range out.Steps {
		if s.Error != "" {
			_, _ = w.Write([]byte(s.Step + ": " + s.Error + "\n"))
		}
	}
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	return io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
}
