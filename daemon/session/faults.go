package session

import "github.com/switchboardpay/switchboard/daemon/faults"

// Faults returns the fault rules of the session's HTTP transport
// (faults/set, faults/list, faults/clear). They are not stored: a
// restarted daemon serves its sessions without faults.
func (s *Session) Faults() *faults.Injector { return s.faults }
