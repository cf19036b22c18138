package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	awslambda "github.com/aws/aws-lambda-go/lambda"

	lambdaadapter "taskapi/adapters/lambda"
	"taskapi/metrics"
	"taskapi/store"
)

// LambdaRuntimeVariable is set by AWS Lambda (and its runtime interface
// emulator) in every execution environment, to the address of the
// Runtime API. Its presence means: serve invocations, not a port.
const LambdaRuntimeVariable = "AWS_LAMBDA_RUNTIME_API"

// lambdaSQLitePath replaces the embedded database's default path under
// Lambda, where only /tmp is writable. Such a database lives and dies
// with one execution environment: for trying things out, never for data.
const lambdaSQLitePath = "/tmp/taskapi.db"

// OnLambda reports whether the process runs inside AWS Lambda.
func OnLambda(getenv func(string) string) bool {
	return getenv(LambdaRuntimeVariable) != ""
}

// RunLambda is the program inside a Lambda execution environment. The
// init phase (configuration, database pool, migrations, router) runs
// once; then the runtime loop serves one invocation at a time until the
// environment is shut down, reusing the pool. The variables are the
// server's (the service variable picks the role, as on ECS); the
// listening address and the shutdown drain have no use here. RunLambda returns only if the
// init fails: the runtime then reports the error and retries the init.
func RunLambda(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := LoadConfig(lambdaEnv(getenv))
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	fn, err := NewLambdaFunction(ctx, cfg, stdout)
	if err != nil {
		return err
	}
	// WithEnableSIGTERM registers an internal extension, so that Lambda
	// sends SIGTERM before it ends the environment: the last metrics are
	// written and the pool's connections closed rather than left for the
	// database to time out. Then the process exits by itself: the runtime
	// loop would wait for an invocation that never comes, and Lambda (and
	// its emulator) SIGKILLs a runtime still there after its share of the
	// shutdown phase (30 % of 2 s with an internal extension: 600 ms).
	awslambda.StartWithOptions(fn, awslambda.WithEnableSIGTERM(func() {
		_ = fn.Close()
		os.Exit(0)
	}))
	return nil // not reached: the loop ends only by exiting the process
}

// lambdaEnv is getenv with the Lambda default for the embedded database.
func lambdaEnv(getenv func(string) string) func(string) string {
	return func(name string) string {
		v := getenv(name)
		if name == EnvSQLitePath && v == "" {
			return lambdaSQLitePath
		}
		return v
	}
}

// LambdaFunction is one execution environment's API: built once, at
// init, and invoked many times. It implements aws-lambda-go's
// lambda.Handler.
type LambdaFunction struct {
	handler  *lambdaadapter.Handler
	db       *store.DB
	recorder *metrics.Recorder
	logger   *slog.Logger
}

// NewLambdaFunction runs the init phase: it opens the database pool (and
// migrates, if configured to), and mounts the same router as Serve behind the
// Lambda event adapter. Logs and EMF metric records go to out as JSON
// lines, which CloudWatch Logs reads from the function's stdout.
func NewLambdaFunction(ctx context.Context, cfg Config, out io.Writer) (*LambdaFunction, error) {
	start := time.Now()
	out = &lockedWriter{w: out}
	logger, err := NewLogger(out, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	db, err := openStore(ctx, cfg, logger)
	if err != nil {
		return nil, err
	}
	recorder := NewRecorder(cfg, out, db)
	api, err := BuildAPI(cfg, db, logger, recorder)
	if err != nil {
		db.Close()
		return nil, err
	}
	logger.Info("lambda function ready", append([]any{"version", Version,
		"init_ms", float64(time.Since(start).Microseconds()) / 1000}, cfg.LogValues()...)...)
	return &LambdaFunction{handler: lambdaadapter.New(api), db: db, recorder: recorder, logger: logger}, nil
}

// Invoke serves one event (API Gateway v1 or v2, function URL, or ALB),
// then writes the invocation's metrics. An environment is frozen between
// invocations, so a background flush on a timer, as on ECS, would run
// late or never; one record set per invocation is what Lambda functions
// write.
func (f *LambdaFunction) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	resp, err := f.handler.Invoke(ctx, payload)
	if ferr := f.recorder.Flush(); ferr != nil {
		f.logger.Error("metrics flush failed", "error", ferr.Error())
	}
	if err != nil {
		f.logger.Error("invocation failed", "error", err.Error())
	}
	return resp, err
}

// Close releases the environment's resources: the database pool.
func (f *LambdaFunction) Close() error {
	f.logger.Info("lambda environment shutting down", "version", Version)
	return f.db.Close()
}
