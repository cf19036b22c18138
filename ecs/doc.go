// Package ecs holds the deployment of taskapi on Amazon ECS: the
// CloudFormation templates (templates/), the deploy, migrate and teardown
// scripts (scripts/), and the tests that check them without an AWS account
// or a container engine: every template is parsed with goformation (which
// rejects unknown properties and wrong types), the values docs/deploy-ecs.md
// states (ports, paths, counts, retention, thresholds, names) are asserted
// resource by resource, and the templates are cross-checked
// against the binary itself (its environment variables, health-check
// command, routes and metric names). See docs/deploy-ecs.md.
package ecs
