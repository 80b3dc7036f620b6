package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	client "github.com/switchboardpay/switchboard/clients/go"
	"github.com/switchboardpay/switchboard/protocol"
)

// timeLayout shows created-at times to the second: enough to see the
// order of a page, short enough for one line.
const timeLayout = "2006-01-02 15:04:05"

func msDuration(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// writePage prints one fetch/next page: a header, its items as a table and
// the state the next page continues from.
func writePage(w io.Writer, p protocol.Page) error {
	fmt.Fprintf(w, "page %d of %s (%s): %d items in %s, hasMore %t\n",
		p.Page, p.Resource, p.Key, p.ItemCount, seconds(msDuration(p.DurationMs)), p.HasMore)
	if err := writeItems(w, p); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "newState: %s\n\n", compactJSON(p.NewState))
	return err
}

// writeItems prints the items of a page as a compact table, by resource.
func writeItems(w io.Writer, p protocol.Page) error {
	tw := newTable(w)
	switch p.Resource {
	case protocol.ResourcePayments:
		items, err := client.DecodeItems[protocol.Payment](p)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "  REFERENCE\tCREATED AT\tTYPE\tSTATUS\tAMOUNT\tASSET")
		for _, it := range items {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", it.Reference, it.CreatedAt.UTC().Format(timeLayout), it.Type, it.Status, formatAmount(it.Amount, it.Asset), it.Asset)
		}
	case protocol.ResourceAccounts, protocol.ResourceExternalAccounts:
		items, err := client.DecodeItems[protocol.Account](p)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "  REFERENCE\tCREATED AT\tNAME\tDEFAULT ASSET")
		for _, it := range items {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", it.Reference, it.CreatedAt.UTC().Format(timeLayout), it.Name, it.DefaultAsset)
		}
	case protocol.ResourceBalances:
		items, err := client.DecodeItems[protocol.Balance](p)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "  ACCOUNT\tCREATED AT\tAMOUNT\tASSET")
		for _, it := range items {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", it.AccountReference, it.CreatedAt.UTC().Format(timeLayout), formatAmount(it.Amount, it.Asset), it.Asset)
		}
	case protocol.ResourceOrders:
		items, err := client.DecodeItems[protocol.Order](p)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "  REFERENCE\tCREATED AT\tDIRECTION\tSTATUS\tQUANTITY\tFROM\tTO")
		for _, it := range items {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Reference, it.CreatedAt.UTC().Format(timeLayout), it.Direction, it.Status, it.BaseQuantityOrdered, it.SourceAsset, it.DestinationAsset)
		}
	case protocol.ResourceConversions:
		items, err := client.DecodeItems[protocol.Conversion](p)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "  REFERENCE\tCREATED AT\tSTATUS\tFROM\tAMOUNT\tTO\tAMOUNT")
		for _, it := range items {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", it.Reference, it.CreatedAt.UTC().Format(timeLayout), it.Status, it.SourceAsset, it.SourceAmount, it.DestinationAsset, it.DestinationAmount)
		}
	default:
		items, err := client.DecodeItems[protocol.Other](p)
		if err != nil {
			return err
		}
		fmt.Fprintln(tw, "  ID\tOTHER")
		for _, it := range items {
			fmt.Fprintf(tw, "  %s\t%s\n", it.ID, clip(string(compactJSON(it.Other)), 100))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// What a payments page removed from the store.
	if len(p.Deleted) > 0 {
		fmt.Fprintf(w, "  deleted: %s\n", strings.Join(p.Deleted, ", "))
	}
	if len(p.Cancelled) > 0 {
		fmt.Fprintf(w, "  cancelled: %s\n", strings.Join(p.Cancelled, ", "))
	}
	return nil
}
