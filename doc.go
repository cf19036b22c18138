// Package taskapi holds the domain of the Task Management API: users, tasks,
// the caller's identity and the error type every layer speaks.
//
// It sits at the centre of the layout and imports nothing from the project.
// The pure request handlers live in handlers/, the transports (HTTP, Lambda)
// in adapters/, and persistence in store/; each depends inward on this
// package, never the other way round.
package taskapi
