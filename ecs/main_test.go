package ecs_test

import (
	"os"
	"testing"

	"taskapi/internal/deploytest"
)

// TestMain removes the binary deploytest.Binary built for the tests that
// run it (the health-check command's).
func TestMain(m *testing.M) { os.Exit(deploytest.Main(m)) }
