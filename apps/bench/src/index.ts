export { assertScenario, checkAnswer, defineScenario, directStepOf, isOutputDeclared } from './scenario.ts';
export type { CodeState, DirectState, DirectStep, DirectTurn, Scenario, ScenarioProgram, ScenarioToolCall, ScenarioToolResult } from './scenario.ts';
export { codeStateOf, directStateOf, parseProgramOutput, programRunsOf, scenarioPolicy } from './scenario-policy.ts';
export { loadScenarios } from './load-scenarios.ts';
export { bareBehaviour, behaviourParameters, defaultBehaviour, resolveBehaviour } from './behaviour-model.ts';
export type { BehaviourParameter, BehaviourParameterKind, BehaviourSettings } from './behaviour-model.ts';
export { calibrationReport, calibrationSource, publishedRuns } from './calibration.ts';
export type { CalibrationCheck, CalibrationOptions, CalibrationReport, CalibrationRow } from './calibration.ts';
