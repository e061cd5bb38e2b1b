import { randomUUID } from 'node:crypto';
import type { Admission, ReservationKind, Slot } from './admission.js';
import type { HttpReply } from './http-server.js';
import type { Logger } from './logger.js';

/** A slot reserved at an upgrade, waiting for its socket to be accepted. */
export interface PendingSlot extends Slot {
  /** The socket was accepted: the call owns the slot now (and releases it once its record is written). */
  bind(): Slot;
}

/** What the endpoints ask before starting a call. */
export interface AdmissionGate {
  /**
   * Reserves a slot for a new call of `agent`, or answers the refusal: 503 with a `Retry-After` and a body that
   * says which cap is full, so the caller's side fails over (a load balancer's next server, Twilio's fallback URL).
   */
  admit(agent: string, endpoint: string, kind?: ReservationKind): Promise<PendingSlot | HttpReply>;
}

/** How long a reserved slot waits for its socket before it is given back (a client that vanished mid-upgrade), ms. */
const UNBOUND_SLOT_MS = 10_000;

/** The gate over an {@link Admission}: reservations, refusals logged once each, and slots never left dangling. */
export function createAdmissionGate(admission: Admission, log: Logger): AdmissionGate {
  return {
    async admit(agent, endpoint, kind = 'call') {
      const callId = randomUUID();
      const reservation = await admission.reserve(agent, callId, kind);
      if (!reservation.ok) {
        log.warn('call refused: over the cap (503)', { agent, endpoint, cap: reservation.cap, limit: reservation.limit, reason: reservation.message });
        return { status: 503, body: `${reservation.message}\n`, headers: { 'retry-after': '1' } };
      }
      const { slot } = reservation;
      if (kind === 'hold') return { ...slot, bind: () => slot };
      // Released unless the socket is accepted in time: a client gone between the reservation and the upgrade's
      // end would otherwise hold a slot for as long as this server lives.
      const timer = setTimeout(() => {
        log.warn('reserved slot given back: the socket never opened', { agent, endpoint, callId });
        void slot.release();
      }, UNBOUND_SLOT_MS);
      timer.unref();
      return {
        ...slot,
        release: () => {
          clearTimeout(timer);
          return slot.release();
        },
        bind: () => {
          clearTimeout(timer);
          return slot;
        },
      };
    },
  };
}
