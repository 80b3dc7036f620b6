package bus

import "github.com/switchboardpay/switchboard/protocol"

// StepPaused publishes a step/paused notification to the session's
// subscribers.
func (b *Bus) StepPaused(p protocol.StepPausedParams) {
	subs := b.snapshot(p.SessionID)
	if len(subs) == 0 {
		return
	}
	b.publish(p.SessionID, subs, func() []byte { return encodeNotification(protocol.NotifyStepPaused, p) }, nil)
}
