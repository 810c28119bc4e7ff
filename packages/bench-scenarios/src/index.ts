export { assertScenario, checkAnswer, defineScenario, directStepOf, isOutputDeclared } from './scenario.js';
export type { CodeState, DirectState, DirectStep, DirectTurn, Scenario, ScenarioProgram, ScenarioToolCall, ScenarioToolResult, ScenarioWorkload } from './scenario.js';
export { id, integer, pick, seededRandom, seedOf, uniformOf } from './random.js';
