package handlers

import "taskapi"

// requireCaller guards every handler that acts for a signed-in user (tasks,
// account): the transport authenticates, but a handler mounted without
// authentication must still refuse to act.
func requireCaller(p taskapi.Principal) error {
	if p.UserID <= 0 {
		return taskapi.Errorf(taskapi.EUNAUTHORIZED, taskapi.MsgNoToken)
	}
	return nil
}
