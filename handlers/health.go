package handlers

import (
	"context"

	"taskapi"
)

// Pinger reports whether a dependency can be reached right now.
type Pinger interface {
	Ping(ctx context.Context) error
}

// HealthRequest asks for liveness, or with Deep for readiness as well.
type HealthRequest struct {
	Deep bool
}

// HealthResponse reports the state of one service.
type HealthResponse struct {
	Status   string `json:"status"`
	Service  string `json:"service"`
	Database string `json:"database,omitempty"`
}

// Health answers the load balancer's and ECS's health checks.
type Health struct {
	service string
	db      Pinger
}

// NewHealth returns the health handler of the named service.
func NewHealth(service string, db Pinger) *Health {
	return &Health{service: service, db: db}
}

// Check is cheap by default: a process that can answer is healthy, so a
// database outage never makes ECS replace every task at once. Deep adds a
// database ping, for readiness probes and operators: 503 MsgDatabaseDown
// when the database cannot be reached, 503 MsgDatabaseFull while writes
// find it out of space (ESTORAGE from the ping).
func (h *Health) Check(ctx context.Context, req HealthRequest) (HealthResponse, error) {
	resp := HealthResponse{Status: "ok", Service: h.service}
	if !req.Deep {
		return resp, nil
	}
	if err := h.db.Ping(ctx); err != nil {
		if taskapi.ErrorCode(err) == taskapi.ESTORAGE {
			return HealthResponse{}, taskapi.Wrap(err, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseFull)
		}
		return HealthResponse{}, taskapi.Wrap(err, taskapi.EUNAVAILABLE, taskapi.MsgDatabaseDown)
	}
	resp.Database = "ok"
	return resp, nil
}
