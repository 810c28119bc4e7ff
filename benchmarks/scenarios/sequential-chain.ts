// A strictly sequential two-step chain where code should NOT win: the second call depends on
// reading free text returned by the first, so the model has to see it in every mode, and code
// only adds the code tool's description, the programs' output tokens and sandbox time.
import { defineScenario } from '@codecall/bench-scenarios';

interface Message {
  from: string;
  receivedAt: string;
  subject: string;
  text: string;
}

const orders: Record<string, { amountUsd: number; item: string }> = {
  'A-7790': { amountUsd: 129.5, item: 'espresso grinder' },
  'A-7791': { amountUsd: 64.25, item: 'blue kettle' },
};
const message: Message = {
  from: 'dana.ruiz@example.com',
  receivedAt: '2025-09-29T08:14:00Z',
  subject: 'Re: your orders',
  text: 'Hi! I ordered two things last week. Please cancel the blue kettle, order A-7791, it arrived damaged. The grinder (A-7790) is perfect, keep that one. Thanks, Dana',
};
const cancelled = new Set<string>();

/** What the model understands from the message: the order it asks to cancel. */
function orderToCancel(text: string): string | undefined {
  return /cancel[^.]*?order (A-\d{4})/i.exec(text)?.[1];
}

const answer = (result: { orderId: string; refundUsd: number }): string => `Cancelled order ${result.orderId} as asked; the customer is refunded $${result.refundUsd.toFixed(2)}.`;

export const scenario = defineScenario({
  id: 'sequential-chain',
  title: 'Strictly sequential two-step chain (code should not win)',
  description: "Read the customer's latest message, then cancel the order it names. The second call depends on understanding free text, so every mode needs the model between the two calls; code adds overhead and saves nothing.",
  expectation: 'loses',
  workload: 'sequential',
  reset: () => cancelled.clear(),
  tools: [
    {
      name: 'get_latest_customer_message',
      description: 'The latest message a customer sent to support.',
      inputSchema: { type: 'object', properties: { customerId: { type: 'string' } }, required: ['customerId'] },
      execute: (input) => {
        if ((input as { customerId: string }).customerId !== 'c-2291') throw new Error('Unknown customer.');
        return message;
      },
    },
    {
      name: 'cancel_order',
      description: 'Cancels an order and refunds it in full. Returns the order id, its new status and the refund in USD.',
      inputSchema: { type: 'object', properties: { orderId: { type: 'string' }, reason: { type: 'string' } }, required: ['orderId', 'reason'] },
      execute: (input) => {
        const { orderId } = input as { orderId: string };
        const order = orders[orderId];
        if (order === undefined) throw new Error(`Unknown order ${orderId}.`);
        if (cancelled.has(orderId)) throw new Error(`Order ${orderId} is already cancelled.`);
        cancelled.add(orderId);
        return { orderId, status: 'cancelled', refundUsd: order.amountUsd };
      },
    },
  ],
  task: 'Handle the latest message from customer c-2291: do what they ask, then tell me what you did and the refund amount.',
  expected: 'Cancelled A-7791, refund $64.25',
  sideEffectTools: ['cancel_order'],
  check: (text) => text.includes('A-7791') && text.includes('64.25') && !/cancelled order A-7790/i.test(text),
  direct: (state) => {
    const latest = state.find('get_latest_customer_message', { customerId: 'c-2291' }) as Message | undefined;
    if (latest === undefined) return [{ tool: 'get_latest_customer_message', input: { customerId: 'c-2291' } }];
    const orderId = orderToCancel(latest.text);
    if (orderId === undefined) return 'I could not tell which order the customer wants cancelled.';
    const result = state.find('cancel_order', { orderId }) as { orderId: string; refundUsd: number } | undefined;
    // Which order to cancel comes from reading the message: reasoning between the two calls.
    if (result === undefined) return { calls: [{ tool: 'cancel_order', input: { orderId, reason: 'Customer request: arrived damaged' } }], dataDependent: true };
    return answer(result);
  },
  code: (state) => {
    if (state.outputs.length === 0) {
      return {
        javascript: `const message = await get_latest_customer_message({ customerId: 'c-2291' });\nconsole.log(JSON.stringify(message));`,
        python: `import json\nmessage = await get_latest_customer_message({"customerId": "c-2291"})\nprint(json.dumps(message))`,
        dataDependent: true,
        showsResults: true,
      };
    }
    if (state.outputs.length === 1) {
      const orderId = orderToCancel((state.outputs[0] as Message).text);
      if (orderId === undefined) return 'I could not tell which order the customer wants cancelled.';
      return {
        javascript: `const result = await cancel_order({ orderId: '${orderId}', reason: 'Customer request: arrived damaged' });\nconsole.log(JSON.stringify(result));`,
        python: `import json\nresult = await cancel_order({"orderId": "${orderId}", "reason": "Customer request: arrived damaged"})\nprint(json.dumps(result))`,
        showsResults: true,
      };
    }
    return answer(state.outputs[1] as { orderId: string; refundUsd: number });
  },
});
