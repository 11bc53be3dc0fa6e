/**
 * Weighted fair queuing across flows (here: the tenants of one runtime shard), by start-time fair
 * queuing (Goyal, Vin and Cheng, 1996), the family Kubernetes API Priority and Fairness queues by.
 *
 * Each flow keeps its own FIFO. A request pushed gets a start tag `max(V, the flow's last finish
 * tag)` and moves the flow's finish tag to `start + 1 / weight`; `shift` serves the request with
 * the smallest start tag (the earlier push on a tie) and sets the virtual time V to it. So a flow
 * that was idle starts at V and is served after at most one request of each busy flow, while a
 * flow with a backlog is as far ahead in virtual time as its backlog is long: one tenant's burst
 * delays its own requests, not its neighbours'. With every flow busy, each is served in
 * proportion to its weight.
 */
interface Tagged<T> {
  item: T;
  start: number;
  order: number;
}

interface Flow<T> {
  lastFinish: number;
  items: Array<Tagged<T>>;
}

export class FairQueue<T> {
  private virtualTime = 0;
  private order = 0;
  private count = 0;
  private readonly flows = new Map<string, Flow<T>>();

  push(flowId: string, weight: number, item: T): void {
    let flow = this.flows.get(flowId);
    if (!flow) {
      flow = { lastFinish: 0, items: [] };
      this.flows.set(flowId, flow);
    }
    const start = Math.max(this.virtualTime, flow.lastFinish);
    flow.lastFinish = start + 1 / Math.max(weight, 1e-6);
    flow.items.push({ item, start, order: this.order++ });
    this.count++;
  }

  /** The next request to serve, removed from its queue; undefined when nothing waits. */
  shift(): { flowId: string; item: T } | undefined {
    let best: { flowId: string; flow: Flow<T>; head: Tagged<T> } | undefined;
    for (const [flowId, flow] of this.flows) {
      const head = flow.items[0];
      if (!head) continue;
      if (!best || head.start < best.head.start || (head.start === best.head.start && head.order < best.head.order)) best = { flowId, flow, head };
    }
    if (!best) return undefined;
    best.flow.items.shift();
    this.count--;
    this.virtualTime = Math.max(this.virtualTime, best.head.start);
    this.forgetIdleFlows();
    return { flowId: best.flowId, item: best.head.item };
  }

  /** Takes a request out (its deadline passed); its place in virtual time stays spent. */
  remove(flowId: string, item: T): boolean {
    const flow = this.flows.get(flowId);
    const index = flow ? flow.items.findIndex((tagged) => tagged.item === item) : -1;
    if (!flow || index < 0) return false;
    flow.items.splice(index, 1);
    this.count--;
    return true;
  }

  /** The newest request of a flow, taken out (the flow's share of a full queue is trimmed from its tail). */
  popNewest(flowId: string): T | undefined {
    const tagged = this.flows.get(flowId)?.items.pop();
    if (!tagged) return undefined;
    this.count--;
    return tagged.item;
  }

  /** Requests waiting: of one flow, or of all. */
  size(flowId?: string): number {
    return flowId === undefined ? this.count : (this.flows.get(flowId)?.items.length ?? 0);
  }

  /** The flow with the most requests waiting (the earliest such flow on a tie). */
  longest(): string | undefined {
    let longest: string | undefined;
    let length = 0;
    for (const [flowId, flow] of this.flows) {
      if (flow.items.length > length) {
        longest = flowId;
        length = flow.items.length;
      }
    }
    return longest;
  }

  /** A flow with nothing waiting whose finish tag virtual time has passed carries no state worth keeping. */
  private forgetIdleFlows(): void {
    for (const [flowId, flow] of this.flows) if (flow.items.length === 0 && flow.lastFinish <= this.virtualTime) this.flows.delete(flowId);
  }
}
