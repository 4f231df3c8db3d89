/**
 * Entry of the child process that trains one trial under process isolation.
 * It waits for a `start` message on the IPC channel, trains, sends its outcome
 * and exits. It exits at once when its parent goes away, so a killed sweep
 * leaves no orphan training on a GPU.
 */
import { executeTrial } from './trial-execution.ts';
import type { ChildInbound, ChildOutbound, ControlMessage, TrialChannel } from './trial-protocol.ts';

if (process.send === undefined) {
  process.stderr.write('trial-child.ts must be started with an IPC channel by the trial worker\n');
  process.exit(2);
}

const controlListeners: ((message: ControlMessage) => void)[] = [];
const channel: TrialChannel = {
  send: (message) => process.send?.(message satisfies ChildOutbound),
  onControl: (listener) => controlListeners.push(listener),
};

process.on('disconnect', () => process.exit(1));
process.on('message', (message: ChildInbound) => {
  if (message.type !== 'start') {
    for (const listener of controlListeners) {
      listener(message);
    }
    return;
  }

  void executeTrial(message.trial, channel).then((outcome) => {
    process.send?.({ type: 'outcome', outcome } satisfies ChildOutbound, () => {
      process.disconnect();
      process.exit(0);
    });
  });
});
