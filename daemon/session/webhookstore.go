package session

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/daemon/store"
	"github.com/switchboardpay/switchboard/protocol"
)

// Webhook persistence: a session's ingress secret and configs are saved
// when the session is created and whenever CreateWebhooks returns, so the
// URLs a provider delivers to keep working across a restart; every
// delivery is saved before the ingress answers, so an acknowledged
// delivery is in webhook/list after a restart.

// saveWebhooks stores the session's webhook secret and configs.
func (s *Session) saveWebhooks(ctx context.Context) error {
	if s.store == nil {
		return nil
	}
	s.wh.mu.Lock()
	w := store.WebhookSetup{Secret: s.wh.secret}
	for _, c := range s.wh.configs {
		w.Configs = append(w.Configs, store.WebhookConfig{Name: c.Name, URLPath: c.URLPath, Metadata: c.Metadata})
	}
	s.wh.mu.Unlock()
	return storeError(s.store.PutWebhookSetup(context.WithoutCancel(ctx), s.id, w))
}

// saveDelivery stores one delivery, the oldest past keepDeliveries
// forgotten.
func (s *Session) saveDelivery(ctx context.Context, d protocol.WebhookDelivery) error {
	if s.store == nil {
		return nil
	}
	seq, err := deliverySeq(d.ID)
	if err != nil {
		return err
	}
	v, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return storeError(s.store.PutDelivery(context.WithoutCancel(ctx), s.id, store.Delivery{Seq: seq, Data: v}, keepDeliveries))
}

// deliverySeq is the number in a delivery id ("w12").
func deliverySeq(id string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(id, "w"), 10, 64)
	if err != nil || !strings.HasPrefix(id, "w") {
		return 0, fmt.Errorf("not a delivery id: %q", id)
	}
	return n, nil
}

// restoreWebhooks loads a restored session's webhook secret, configs and
// deliveries, and remembers the idempotency keys its deliveries had. A
// session stored before webhooks were persisted gets its new secret
// saved.
func (m *Manager) restoreWebhooks(ctx context.Context, s *Session) error {
	w, ok, err := m.store.WebhookSetupOf(s.id)
	if err != nil {
		return err
	}
	if !ok {
		return s.saveWebhooks(ctx)
	}
	s.wh.mu.Lock()
	s.wh.secret = w.Secret
	for _, c := range w.Configs {
		s.wh.configs[c.Name] = connector.WebhookConfig{Name: c.Name, URLPath: c.URLPath, Metadata: c.Metadata}
	}
	s.wh.mu.Unlock()
	ds, err := m.store.Deliveries(ctx, s.id)
	if err != nil {
		return err
	}
	for _, d := range ds {
		var out protocol.WebhookDelivery
		if err := json.Unmarshal(d.Data, &out); err != nil {
			return fmt.Errorf("webhook delivery %d of session %s does not decode: %w", d.Seq, s.id, err)
		}
		s.deliveries.Add(out)
		s.wh.mu.Lock()
		s.wh.seq = max(s.wh.seq, int(d.Seq))
		s.wh.mu.Unlock()
		for _, k := range out.IdempotencyKeys {
			m.idem.seen(s.provider, k, s.id+"/"+out.ID)
		}
	}
	return nil
}
