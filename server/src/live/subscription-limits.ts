import { ApiError } from '@jobflow/shared';

/** How much live work one user or socket may cause on a server process. */
export interface SubscriptionLimitOptions {
  /** Topics one socket may be subscribed to at once (SOCKET_MAX_SUBSCRIPTIONS). */
  maxSubscriptionsPerSocket: number;
  /** Log replays (`afterSeq`) one socket may have running at once (SOCKET_MAX_BACKFILLS). */
  maxBackfillsPerSocket: number;
  /** Sockets one user may have open on this server process (USER_MAX_SOCKETS). */
  maxSocketsPerUser: number;
}

/**
 * Bounds the work a user can make the live gateway do: sockets per user,
 * subscriptions per socket, and log replays per socket, where subscribing to
 * a run again replaces that socket's earlier replay of it (cancelling it), so
 * repeating a subscription never multiplies the reading of a long log. Past a
 * cap, `subscribe` is answered `rate_limited`, and a connection is refused
 * with a `connect_error` whose message is `rate_limited`.
 */
export function createSubscriptionLimits(options: SubscriptionLimitOptions) {
  const socketsByUser = new Map<string, number>();

  return {
    /** Counts a new socket of `userId`; false (and nothing counted) when the user is at the cap. */
    admit(userId: string): boolean {
      const open = socketsByUser.get(userId) ?? 0;
      if (open >= options.maxSocketsPerUser) return false;
      socketsByUser.set(userId, open + 1);
      return true;
    },

    /** Uncounts a socket that `admit` counted. */
    release(userId: string): void {
      const open = (socketsByUser.get(userId) ?? 1) - 1;
      if (open > 0) socketsByUser.set(userId, open);
      else socketsByUser.delete(userId);
    },

    /** The limits of one socket; `close` when it disconnects. */
    forSocket() {
      const subscriptions = new Set<string>();
      const backfills = new Map<string, AbortController>();

      const cancelBackfill = (runId: string) => {
        backfills.get(runId)?.abort();
        backfills.delete(runId);
      };

      /** A replay of `runId`'s log, cancelling this socket's earlier one; its signal aborts when it is replaced. */
      const startBackfill = (runId: string) => {
        cancelBackfill(runId);
        const controller = new AbortController();
        backfills.set(runId, controller);
        return {
          signal: controller.signal,
          done: () => {
            if (backfills.get(runId) === controller) backfills.delete(runId);
          },
        };
      };

      return {
        /**
         * Takes a place for a subscription to `room` (and, with
         * `backfillRunId`, for a replay of that run's log, replacing this
         * socket's earlier replay of it) before the subscription is made, so
         * concurrent requests cannot all pass the caps; throws `rate_limited`
         * past a cap. `undo` gives the places back when subscribing fails.
         */
        reserve(room: string, backfillRunId?: string): { backfill: { signal: AbortSignal; done(): void } | null; undo(): void } {
          const isNew = !subscriptions.has(room);
          if (isNew && subscriptions.size >= options.maxSubscriptionsPerSocket) {
            throw new ApiError('rate_limited', `This socket has ${subscriptions.size} subscriptions, the most allowed; unsubscribe from some first.`);
          }
          if (backfillRunId !== undefined && !backfills.has(backfillRunId) && backfills.size >= options.maxBackfillsPerSocket) {
            throw new ApiError(
              'rate_limited',
              `This socket is replaying ${backfills.size} logs, the most at once; subscribe with afterSeq once one has finished.`,
            );
          }
          subscriptions.add(room);
          const backfill = backfillRunId === undefined ? null : startBackfill(backfillRunId);
          return {
            backfill,
            undo: () => {
              if (isNew) subscriptions.delete(room);
              backfill?.done();
            },
          };
        },

        /** Forgets a subscription, cancelling the replay of its run's log, if any. */
        unsubscribed(room: string, runId?: string): void {
          subscriptions.delete(room);
          if (runId !== undefined) cancelBackfill(runId);
        },

        close(): void {
          for (const runId of [...backfills.keys()]) cancelBackfill(runId);
          subscriptions.clear();
        },
      };
    },
  };
}

export type SubscriptionLimits = ReturnType<typeof createSubscriptionLimits>;
