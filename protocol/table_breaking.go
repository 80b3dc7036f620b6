package protocol

// The methods of faults.go and step.go, after those of table.go (files
// initialize in name order, so they come last in the reference).
var (
	FaultsSet   = request[FaultsSetParams, FaultsListResult](MethodFaultsSet, errs(sessionErrs...), client("FaultsSet"))
	FaultsList  = request[SessionParams, FaultsListResult](MethodFaultsList, errs(sessionErrs...), client("FaultsList"))
	FaultsClear = request[SessionParams, Empty](MethodFaultsClear, errs(sessionErrs...), client("FaultsClear"))

	StepNext     = request[StepParams, Empty](MethodStepNext, errs(sessionErrs...), client("StepNext"))
	StepContinue = request[StepParams, Empty](MethodStepContinue, errs(sessionErrs...), client("StepContinue"))
	StepAbort    = request[StepParams, Empty](MethodStepAbort, errs(sessionErrs...), client("StepAbort"))
	StepPaused   = notification[StepPausedParams](NotifyStepPaused, dir(ServerToClient))
)
