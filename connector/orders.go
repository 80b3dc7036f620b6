package connector

import (
	"encoding/json"
	"math/big"
	"time"
)

// Order is an order placed at an exchange.
type Order struct {
	Reference string
	// ClientOrderID is the id the caller gave the order for idempotency.
	ClientOrderID string
	CreatedAt     time.Time
	// Direction is "BUY" or "SELL".
	Direction string
	// SourceAsset and DestinationAsset are "CODE/DECIMALS": what is traded
	// from and to.
	SourceAsset      string
	DestinationAsset string
	// Type is "MARKET", "LIMIT", "STOP_LIMIT"...
	Type   string
	Status string
	// Quantities and prices are integers in their assets' minor units.
	BaseQuantityOrdered *big.Int
	BaseQuantityFilled  *big.Int
	LimitPrice          *big.Int
	StopPrice           *big.Int
	TimeInForce         string
	ExpiresAt           *time.Time
	QuoteAmount         *big.Int
	QuoteAsset          string
	Fee                 *big.Int
	FeeAsset            string

	SourceAccountReference      string
	DestinationAccountReference string
	Metadata                    map[string]string
	Raw                         json.RawMessage
}

// Conversion is an asset conversion (FX, stablecoin, wrapped asset swap).
type Conversion struct {
	Reference         string
	CreatedAt         time.Time
	SourceAsset       string
	DestinationAsset  string
	SourceAmount      *big.Int
	DestinationAmount *big.Int
	Fee               *big.Int
	FeeAsset          string
	Status            string

	SourceAccountReference      string
	DestinationAccountReference string
	Metadata                    map[string]string
	Raw                         json.RawMessage
}
