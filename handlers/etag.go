package handlers

import (
	"strconv"
	"strings"

	"taskapi"
)

// TaskETag is a task's entity tag: its version, quoted (RFC 9110). It is
// strong: every change of the task increments the version.
func TaskETag(t taskapi.Task) string {
	return `"` + strconv.FormatInt(t.Version, 10) + `"`
}

// checkIfMatch applies an If-Match header to the task as it is now: ""
// and "*" match any version; otherwise one of the listed tags must be the
// task's current one (weak tags never match, as RFC 9110 requires for
// If-Match). It returns the version to hold the write to, 0 for none.
func checkIfMatch(ifMatch string, t *taskapi.Task) (int64, error) {
	ifMatch = strings.TrimSpace(ifMatch)
	if ifMatch == "" {
		return 0, nil
	}
	if ifMatch == "*" {
		return t.Version, nil
	}
	current := TaskETag(*t)
	for _, tag := range strings.Split(ifMatch, ",") {
		if strings.TrimSpace(tag) == current {
			return t.Version, nil
		}
	}
	return 0, taskapi.Errorf(taskapi.EPRECONDITION, taskapi.MsgTaskChanged)
}
