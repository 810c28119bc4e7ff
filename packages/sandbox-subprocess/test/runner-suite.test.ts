import { describeRunnerSuite } from '@codecall/runner/testing';
import { createSubprocessSandbox } from '../src/index.js';

// The runner suite of @codecall/runner (hostile protocol messages) over both launchers.
describeRunnerSuite({ name: 'subprocess (plain)', createSandbox: () => createSubprocessSandbox({ launcher: 'plain', pool: { size: 1 } }), endsRunnerOnFinal: true });
describeRunnerSuite({ name: 'subprocess (jail)', createSandbox: () => createSubprocessSandbox({ launcher: 'jail', pool: { size: 1 } }), endsRunnerOnFinal: true });
