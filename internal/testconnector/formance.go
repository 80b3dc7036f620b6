package testconnector

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"strconv"
	"time"

	"github.com/switchboardpay/switchboard/connector"
)

// FormanceName is the name of the provider of Formance's whole connector
// model.
const FormanceName = "test-formance"

// FormanceConfig chooses what the Formance-model test connector does.
type FormanceConfig struct {
	// Payments is the number of payments (default 10). Payment pay_<i>
	// for odd i refunds pay_<i-1> (its parentReference).
	Payments int `json:"payments,omitempty" jsonschema:"minimum=0"`
	// Delete and Cancel are returned with the payments' last page.
	Delete []string `json:"delete,omitempty"`
	Cancel []string `json:"cancel,omitempty"`
	// PayoutsPerSecond is the payout throttle (0: none).
	PayoutsPerSecond float64 `json:"payoutsPerSecond,omitempty"`
	// UninstallFile, when set, is written by Uninstall.
	UninstallFile string `json:"uninstallFile,omitempty"`
	// Bootstrap names the bootstrap-on-install resources.
	Bootstrap []string `json:"bootstrap,omitempty"`
	// Webhooks puts a CREATE_WEBHOOKS task first in the task tree.
	Webhooks bool `json:"webhooks,omitempty"`
}

// Formance implements every part of Formance's model: orders (answering
// ErrNotImplemented, as a Formance stub does), conversions, payments with
// parents, deletions and cancellations, Uninstall, bootstrap tasks and a
// payout throttle.
type Formance struct {
	cfg FormanceConfig
}

var (
	_ connector.AccountsFetcher    = (*Formance)(nil)
	_ connector.PaymentsFetcher    = (*Formance)(nil)
	_ connector.OrdersFetcher      = (*Formance)(nil)
	_ connector.ConversionsFetcher = (*Formance)(nil)
	_ connector.PayoutCreator      = (*Formance)(nil)
	_ connector.Uninstaller        = (*Formance)(nil)
	_ connector.Bootstrapper       = (*Formance)(nil)
	_ connector.PayoutThrottler    = (*Formance)(nil)
	_ connector.WebhookCreator     = (*Formance)(nil)
)

// FormanceProvider returns the provider of Formance.
func FormanceProvider() *connector.Provider {
	return connector.Define(FormanceName, connector.Info{Description: "test-only connector with Formance's whole model", DefaultPageSize: 4},
		(*Formance)(nil), func(ctx context.Context, cfg FormanceConfig, env connector.Env) (connector.Connector, error) {
			if cfg.Payments == 0 {
				cfg.Payments = 10
			}
			return &Formance{cfg: cfg}, nil
		})
}

// FetchAccounts serves two accounts.
func (f *Formance) FetchAccounts(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Account], error) {
	c := &Connector{}
	return page(c, req, 2, func(i int) connector.Account {
		ref := "acc_" + strconv.Itoa(i)
		return connector.Account{Reference: ref, CreatedAt: epoch, Raw: json.RawMessage(`{"id":"` + ref + `"}`)}
	})
}

// FetchPayments serves the payments; the last page carries Delete and
// Cancel.
func (f *Formance) FetchPayments(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Payment], error) {
	p, err := page(&Connector{}, req, f.cfg.Payments, func(i int) connector.Payment {
		pay := connector.Payment{Reference: "pay_" + strconv.Itoa(i), CreatedAt: epoch.Add(time.Duration(i) * time.Minute),
			Type: connector.PaymentTypePayIn, Amount: big.NewInt(int64(100 + i)), Asset: "EUR/2", Scheme: "sepa",
			Status: connector.PaymentStatusSucceeded, DestinationAccountReference: "acc_0", Raw: json.RawMessage(`{}`)}
		if i%2 == 1 {
			pay.ParentReference = "pay_" + strconv.Itoa(i-1)
			pay.Status = connector.PaymentStatusRefunded
		}
		return pay
	})
	if err == nil && !p.HasMore {
		p.PaymentsToDelete, p.PaymentsToCancel = f.cfg.Delete, f.cfg.Cancel
	}
	return p, err
}

// FetchOrders is a Formance stub.
func (f *Formance) FetchOrders(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Order], error) {
	return connector.Page[connector.Order]{}, connector.ErrNotImplemented
}

// FetchConversions serves three conversions.
func (f *Formance) FetchConversions(ctx context.Context, req connector.FetchRequest) (connector.Page[connector.Conversion], error) {
	return page(&Connector{}, req, 3, func(i int) connector.Conversion {
		return connector.Conversion{Reference: "conv_" + strconv.Itoa(i), CreatedAt: epoch.Add(time.Duration(i) * time.Hour),
			SourceAsset: "USD/2", DestinationAsset: "USDC/6", SourceAmount: big.NewInt(100), DestinationAmount: big.NewInt(1_000_000),
			Status: "COMPLETED", Raw: json.RawMessage(`{}`)}
	})
}

// CreatePayout settles every payout at once.
func (f *Formance) CreatePayout(ctx context.Context, in connector.Initiation) (connector.InitiationResult, error) {
	return connector.InitiationResult{Payment: &connector.Payment{Reference: in.Reference, CreatedAt: time.Now().UTC(), Type: connector.PaymentTypePayout,
		Amount: in.Amount, Asset: in.Asset, Scheme: "sepa", Status: connector.PaymentStatusSucceeded, DestinationAccountReference: in.DestinationAccountReference}}, nil
}

// Uninstall writes UninstallFile.
func (f *Formance) Uninstall(ctx context.Context) error {
	if f.cfg.UninstallFile == "" {
		return nil
	}
	return os.WriteFile(f.cfg.UninstallFile, []byte("uninstalled\n"), 0o600)
}

// BootstrapOnInstall implements connector.Bootstrapper.
func (f *Formance) BootstrapOnInstall() []string { return f.cfg.Bootstrap }

// PayoutsPerSecond implements connector.PayoutThrottler.
func (f *Formance) PayoutsPerSecond() float64 { return f.cfg.PayoutsPerSecond }

// Install runs payments and conversions (orders are a stub).
func (f *Formance) Install(ctx context.Context) ([]connector.Task, error) {
	tasks := []connector.Task{{Resource: "payments", Periodically: true}, {Resource: "conversions", Periodically: true}}
	if f.cfg.Webhooks {
		tasks = append([]connector.Task{{Resource: connector.TaskCreateWebhooks}}, tasks...)
	}
	return tasks, nil
}

// CreateWebhooks registers one config, "events", and says in its metadata
// which base URL and connector id it was given.
func (f *Formance) CreateWebhooks(ctx context.Context, req connector.CreateWebhooksRequest) (connector.CreateWebhooksResponse, error) {
	return connector.CreateWebhooksResponse{Configs: []connector.WebhookConfig{{
		Name: "events", URLPath: "/events", Metadata: map[string]string{"base": req.WebhookBaseURL, "connectorId": req.ConnectorID},
	}}}, nil
}
