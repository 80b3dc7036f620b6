package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// WebhookConfig is a webhook a connector registered, as stored.
type WebhookConfig struct {
	Name     string            `json:"name"`
	URLPath  string            `json:"urlPath"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

// WebhookSetup is a session's webhook side as stored: the ingress secret
// of its URLs (a provider keeps delivering to them across a restart) and
// the configs CreateWebhooks returned.
type WebhookSetup struct {
	Secret  string          `json:"secret"`
	Configs []WebhookConfig `json:"configs,omitempty"`
}

// Delivery is one stored webhook delivery: its sequence number in the
// session and its JSON (the protocol's WebhookDelivery, kept opaque here).
type Delivery struct {
	Seq  uint64
	Data json.RawMessage
}

func webhookPrefix(id string) []byte {
	b := append([]byte{tagWebhook}, id...)
	return append(b, 0)
}

func webhookSetupKey(id string) []byte { return append(webhookPrefix(id), subSetup) }

func deliveryPrefix(id string) []byte { return append(webhookPrefix(id), subDelivery) }

func deliveryKey(id string, seq uint64) []byte { return appendU64(deliveryPrefix(id), seq) }

// PutWebhookSetup saves a session's webhook secret and configs.
func (s *Store) PutWebhookSetup(ctx context.Context, sessionID string, w WebhookSetup) error {
	v, err := json.Marshal(w)
	if err != nil {
		return err
	}
	return s.run(ctx, func(tx *wtx) error {
		if _, ok := s.sessionKey(sessionID); !ok {
			return fmt.Errorf("session %s is not in the store", sessionID)
		}
		tx.set(webhookSetupKey(sessionID), v)
		return nil
	})
}

// WebhookSetupOf returns a session's stored webhook setup; ok is false when
// none was saved.
func (s *Store) WebhookSetupOf(sessionID string) (w WebhookSetup, ok bool, err error) {
	v, closer, err := s.db.Get(webhookSetupKey(sessionID))
	if err == pebble.ErrNotFound {
		return w, false, nil
	}
	if err != nil {
		return w, false, s.readErr("read webhook setup", err)
	}
	defer closer.Close()
	if err := json.Unmarshal(v, &w); err != nil {
		return w, false, damaged(s.path, fmt.Errorf("the webhook setup of session %s does not decode: %v", sessionID, err))
	}
	return w, true, nil
}

// PutDelivery saves a delivery and forgets the one keep deliveries older
// (keep 0 keeps all). It is acknowledged once durable.
func (s *Store) PutDelivery(ctx context.Context, sessionID string, d Delivery, keep uint64) error {
	return s.run(ctx, func(tx *wtx) error {
		if _, ok := s.sessionKey(sessionID); !ok {
			return fmt.Errorf("session %s is not in the store", sessionID)
		}
		tx.set(deliveryKey(sessionID, d.Seq), d.Data)
		if keep > 0 && d.Seq > keep {
			tx.del(deliveryKey(sessionID, d.Seq-keep))
		}
		return nil
	})
}

// Deliveries returns a session's stored deliveries, oldest first.
func (s *Store) Deliveries(ctx context.Context, sessionID string) ([]Delivery, error) {
	p := deliveryPrefix(sessionID)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixEnd(p)})
	if err != nil {
		return nil, s.readErr("list deliveries", err)
	}
	defer it.Close()
	var out []Delivery
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		if len(k) != len(p)+8 {
			return nil, damaged(s.path, fmt.Errorf("a webhook delivery key of session %s has %d bytes", sessionID, len(k)))
		}
		out = append(out, Delivery{Seq: binary.BigEndian.Uint64(k[len(p):]), Data: append(json.RawMessage(nil), it.Value()...)})
	}
	return out, s.readErr("list deliveries", it.Error())
}
