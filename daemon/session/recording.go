package session

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/switchboardpay/switchboard/connector"
	"github.com/switchboardpay/switchboard/connector/cassette"
	"github.com/switchboardpay/switchboard/connector/driver"
	"github.com/switchboardpay/switchboard/daemon/capture"
	"github.com/switchboardpay/switchboard/protocol"
)

// replayProvider prefixes the stored provider of a replay session: a
// replay is not carried across a daemon restart (the restored session
// would go live), so Restore drops such sessions instead of serving them.
const replayProvider = "replay:"

// tapeLayer is the bottom of a session's HTTP transport, under the
// capture: the network, or a cassette's player for a replay session, with
// a cassette writer on top while the session records.
//
// Invariant: player is set at open and never changes.
type tapeLayer struct {
	base   http.RoundTripper // the network, or player
	player *cassette.Player
	path   string // the replayed cassette

	mu     sync.Mutex
	writer *cassette.Writer // guarded by mu
}

var _ http.RoundTripper = (*tapeLayer)(nil)

func (l *tapeLayer) RoundTrip(req *http.Request) (*http.Response, error) {
	l.mu.Lock()
	w := l.writer
	l.mu.Unlock()
	if w != nil {
		return w.RoundTrip(l.base, req)
	}
	return l.base.RoundTrip(req)
}

// recorder returns the writer in use, or nil.
func (l *tapeLayer) recorder() *cassette.Writer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.writer
}

// layerTape puts the tape layer under the session's capture transport.
func (s *Session) layerTape(tape *cassette.Tape, match string, secrets []string) {
	t, ok := s.http.Transport.(*capture.Transport)
	if !ok {
		return
	}
	s.tape = &tapeLayer{base: t.Base}
	if tape != nil {
		s.tape.player = cassette.NewPlayer(tape, secrets, match == protocol.ReplayLenient)
		s.tape.base, s.tape.path = s.tape.player, tape.Path
	}
	t.Base = s.tape
}

// loadReplay fills in provider, config and page size of a replay session
// from its cassette when they are left out.
func loadReplay(p *protocol.SessionCreateParams) (*cassette.Tape, error) {
	if p.Replay == "" {
		if p.ReplayMatch != "" {
			return nil, protocol.InvalidParams(protocol.FieldError{Field: "replayMatch", Message: "needs replay"})
		}
		return nil, nil
	}
	if p.ReplayMatch != "" && p.ReplayMatch != protocol.ReplayStrict && p.ReplayMatch != protocol.ReplayLenient {
		return nil, protocol.InvalidParams(protocol.FieldError{Field: "replayMatch", Message: "must be strict or lenient"})
	}
	if err := cassette.CheckPath(p.Replay); err != nil {
		return nil, protocol.InvalidParams(protocol.FieldError{Field: "replay", Message: err.Error()})
	}
	tape, err := cassette.Load(p.Replay)
	if err != nil {
		return nil, recordingError(err)
	}
	if p.Provider == "" {
		p.Provider = tape.Session.Provider
	}
	if len(p.Config) == 0 || string(p.Config) == "null" {
		p.Config = tape.Session.Config
	}
	if p.PageSize == 0 {
		p.PageSize = tape.Session.PageSize
	}
	return tape, nil
}

func recordingError(err error) error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return err
	}
	return &protocol.Error{Code: protocol.CodeRecordingFailed, Message: err.Error()}
}

// Record starts recording into path (saving and ending a recording in
// progress first), or with stop saves and ends the recording.
func (s *Session) Record(p protocol.SessionRecordParams) (protocol.SessionRecordResult, error) {
	if !p.Stop && p.Path == "" {
		return protocol.SessionRecordResult{}, protocol.InvalidParams(protocol.FieldError{Field: "path", Message: "is required unless stop is true"})
	}
	if s.tape == nil {
		return protocol.SessionRecordResult{}, &protocol.Error{Code: protocol.CodeRecordingFailed, Message: "this session's HTTP client cannot be recorded"}
	}
	if p.Path != "" {
		if err := cassette.CheckPath(p.Path); err != nil {
			return protocol.SessionRecordResult{}, protocol.InvalidParams(protocol.FieldError{Field: "path", Message: err.Error()})
		}
	}
	// The recording in progress is saved before it ends: a save that
	// fails keeps it on, so nothing it holds is lost.
	var res protocol.SessionRecordResult
	if old := s.tape.recorder(); old != nil {
		if err := old.Close(); err != nil {
			return recordResult(old, true), recordingError(err)
		}
		s.stopRecording()
		res = recordResult(old, false)
	}
	if p.Stop {
		return res, nil
	}
	w, err := cassette.NewWriter(p.Path, cassette.Session{Provider: s.provider, Config: s.redacted, PageSize: s.pageSize}, s.secrets)
	if err != nil {
		return protocol.SessionRecordResult{}, recordingError(err)
	}
	s.tape.mu.Lock()
	s.tape.writer = w
	s.tape.mu.Unlock()
	return recordResult(w, true), nil
}

func (s *Session) stopRecording() *cassette.Writer {
	if s.tape == nil {
		return nil
	}
	s.tape.mu.Lock()
	defer s.tape.mu.Unlock()
	w := s.tape.writer
	s.tape.writer = nil
	return w
}

func recordResult(w *cassette.Writer, on bool) protocol.SessionRecordResult {
	n, calls := w.Counts()
	return protocol.SessionRecordResult{Recording: on, Path: w.Path(), Interactions: n, Calls: calls}
}

// saveRecording saves and ends the recording in progress (the session
// closes). A save that fails leaves the recording on, so that nothing it
// holds is lost: the caller reports the error.
func (s *Session) saveRecording() error {
	if s.tape == nil {
		return nil
	}
	w := s.tape.recorder()
	if w == nil {
		return nil
	}
	if err := w.Close(); err != nil {
		return recordingError(err)
	}
	s.stopRecording()
	return nil
}

// Recording returns the path of the cassette being recorded, or "".
func (s *Session) Recording() string {
	if s.tape == nil {
		return ""
	}
	if w := s.tape.recorder(); w != nil {
		return w.Path()
	}
	return ""
}

// Replaying returns the path of the cassette replayed, or "".
func (s *Session) Replaying() string {
	if s.tape == nil {
		return ""
	}
	return s.tape.path
}

// ReplayMisses lists the requests a replay session found no match for.
func (s *Session) ReplayMisses() []protocol.ReplayMissData {
	if s.tape == nil || s.tape.player == nil {
		return nil
	}
	return s.tape.player.Misses()
}

// recordFetch adds a fetch call to the recording in progress, if any.
func (s *Session) recordFetch(c *capture.Call, resource, name string, fromPayload json.RawMessage, pageSize int, reset bool,
	before json.RawMessage, res driver.Result, err error) {
	if s.tape == nil {
		return
	}
	w := s.tape.recorder()
	if w == nil {
		return
	}
	call := cassette.Call{Operation: c.Operation, Resource: resource, Name: name, FromPayload: fromPayload,
		Page: c.Page, PageSize: pageSize, Reset: reset, StateBefore: before}
	if err != nil {
		call.Error = err.Error()
	} else {
		call.StateAfter, call.HasMore, call.Items = compact(res.NewState), res.HasMore, res.Count
	}
	w.AddCall(c, call)
}

// replayError turns a failed call of a replay session whose connector lost
// the player's coded error (wrapped it without %w) into that error.
func (s *Session) replayError(err error, missesBefore int) error {
	if err == nil || s.tape == nil || s.tape.player == nil {
		return err
	}
	// The player's own error, without the connector's and net/http's
	// wrapping around it: it names the request already.
	if pe := (*protocol.Error)(nil); errors.As(err, &pe) && pe.Code == protocol.CodeReplayMiss {
		return pe
	}
	misses := s.tape.player.Misses()
	if len(misses) <= missesBefore {
		return err
	}
	m := misses[len(misses)-1]
	return &protocol.Error{Code: protocol.CodeReplayMiss, Data: m,
		Message: "replay: " + m.Request + " is not in cassette " + m.Cassette + nearestSuffix(m)}
}

func nearestSuffix(m protocol.ReplayMissData) string {
	if m.Nearest == "" {
		return ""
	}
	return "; nearest recorded: " + m.Nearest + " (" + strings.Join(m.Differences, "; ") + ")"
}

func (s *Session) missCount() int {
	if s.tape == nil || s.tape.player == nil {
		return 0
	}
	return len(s.tape.player.Misses())
}

// storedProvider is the provider name kept in the store.
func storedProvider(prov *connector.Provider, replay bool) string {
	if replay {
		return replayProvider + prov.Name
	}
	return prov.Name
}
