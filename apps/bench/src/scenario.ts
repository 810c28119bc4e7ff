// The scenario format lives in @codecall/bench-scenarios; re-exported here for the app's modules.
export { assertScenario, checkAnswer, defineScenario, directStepOf, isOutputDeclared } from '@codecall/bench-scenarios';
export type { CodeState, DirectState, DirectStep, DirectTurn, Scenario, ScenarioProgram, ScenarioToolCall, ScenarioToolResult, ScenarioWorkload } from '@codecall/bench-scenarios';
