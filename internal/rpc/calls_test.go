package rpc

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestCalls(t *testing.T) {
	var c Calls[string]
	id1, ch1, err := c.Start(false)
	if err != nil || id1 != 1 {
		t.Fatalf("first id %d, %v", id1, err)
	}
	id2, ch2, _ := c.Start(true)
	if id2 != 2 || !c.Flag(id2) || c.Flag(id1) || c.Flag(99) {
		t.Fatalf("id %d, flags %v %v %v", id2, c.Flag(id2), c.Flag(id1), c.Flag(99))
	}
	if c.Finish(99, "stray") {
		t.Error("an answer to an id never sent was taken")
	}
	if !c.Finish(id1, "one") || <-ch1 != "one" {
		t.Error("answer not delivered")
	}
	if c.Finish(id1, "twice") {
		t.Error("a second answer to the same id was taken")
	}
	id3, _, _ := c.Start(false)
	c.Forget(id3)
	if c.Finish(id3, "late") {
		t.Error("an answer to a forgotten call was taken")
	}
	if !c.Close("closed") || c.Close("again") {
		t.Error("Close is not once")
	}
	if got := <-ch2; got != "closed" {
		t.Errorf("pending call got %q at close", got)
	}
	if _, _, err := c.Start(false); !errors.Is(err, ErrCallsClosed) || !c.Closed() {
		t.Errorf("Start after Close: %v", err)
	}
}

func TestAwait(t *testing.T) {
	ch := make(chan string, 1)
	ch <- "result"
	if r, ok, err := Await(context.Background(), ch, nil, time.Second); r != "result" || !ok || err != nil {
		t.Fatalf("answered call: %q %v %v", r, ok, err)
	}

	// Cancelled: the cancel is sent, and the peer's answer to it returned
	// with the context's error beside it.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sent := 0
	r, ok, err := Await(ctx, ch, func() error { sent++; ch <- "cancelled"; return nil }, time.Second)
	if sent != 1 || r != "cancelled" || !ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled call: sent %d, %q %v %v", sent, r, ok, err)
	}

	// No answer within the grace: the context's error, no answer.
	_, ok, err = Await(ctx, ch, func() error { return nil }, 10*time.Millisecond)
	if ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("unanswered cancel: %v %v", ok, err)
	}
	// The cancel could not be sent: no wait at all.
	start := time.Now()
	_, ok, err = Await(ctx, ch, func() error { return errors.New("closed") }, time.Hour)
	if ok || !errors.Is(err, context.Canceled) || time.Since(start) > time.Minute {
		t.Fatalf("unsent cancel: %v %v", ok, err)
	}
}
