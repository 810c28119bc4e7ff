export { assertScenario, checkAnswer, defineScenario } from './scenario.ts';
export type { CodeState, DirectState, Scenario, ScenarioProgram, ScenarioToolCall, ScenarioToolResult } from './scenario.ts';
export { codeStateOf, directStateOf, parseProgramOutput, scenarioPolicy } from './scenario-policy.ts';
export { loadScenarios } from './load-scenarios.ts';
