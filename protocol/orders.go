package protocol

import (
	"encoding/json"
	"time"
)

// Order is an order placed at an exchange (Formance's PSPOrder). Amounts
// are integer units written as decimal strings, like payments'.
type Order struct {
	Reference     string    `json:"reference"`
	ClientOrderID string    `json:"clientOrderId,omitempty"`
	CreatedAt     time.Time `json:"createdAt"`
	// Direction is BUY or SELL.
	Direction        string `json:"direction"`
	SourceAsset      string `json:"sourceAsset"`
	DestinationAsset string `json:"destinationAsset"`
	// Type is MARKET, LIMIT, STOP_LIMIT...
	Type                        string            `json:"type"`
	Status                      string            `json:"status"`
	BaseQuantityOrdered         string            `json:"baseQuantityOrdered"`
	BaseQuantityFilled          string            `json:"baseQuantityFilled,omitempty"`
	LimitPrice                  string            `json:"limitPrice,omitempty"`
	StopPrice                   string            `json:"stopPrice,omitempty"`
	TimeInForce                 string            `json:"timeInForce,omitempty"`
	ExpiresAt                   *time.Time        `json:"expiresAt,omitempty"`
	QuoteAmount                 string            `json:"quoteAmount,omitempty"`
	QuoteAsset                  string            `json:"quoteAsset,omitempty"`
	Fee                         string            `json:"fee,omitempty"`
	FeeAsset                    string            `json:"feeAsset,omitempty"`
	SourceAccountReference      string            `json:"sourceAccountReference,omitempty"`
	DestinationAccountReference string            `json:"destinationAccountReference,omitempty"`
	Metadata                    map[string]string `json:"metadata"`
	Raw                         json.RawMessage   `json:"raw"`
}

// Conversion is an asset conversion: FX, stablecoin or wrapped-asset swap
// (Formance's PSPConversion).
type Conversion struct {
	Reference                   string            `json:"reference"`
	CreatedAt                   time.Time         `json:"createdAt"`
	SourceAsset                 string            `json:"sourceAsset"`
	DestinationAsset            string            `json:"destinationAsset"`
	SourceAmount                string            `json:"sourceAmount"`
	DestinationAmount           string            `json:"destinationAmount,omitempty"`
	Fee                         string            `json:"fee,omitempty"`
	FeeAsset                    string            `json:"feeAsset,omitempty"`
	Status                      string            `json:"status"`
	SourceAccountReference      string            `json:"sourceAccountReference,omitempty"`
	DestinationAccountReference string            `json:"destinationAccountReference,omitempty"`
	Metadata                    map[string]string `json:"metadata"`
	Raw                         json.RawMessage   `json:"raw"`
}
