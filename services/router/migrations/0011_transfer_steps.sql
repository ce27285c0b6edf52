-- Transfers (移送) decided in C (router_transfer.c, router_machines.c):
-- the router reads the transfer (or the clue), looks the step up in the
-- transfer machine's state x event table, packs ClueTransferred from the
-- generated code and writes here, guarded by the state and the version it
-- decided on.  A guard that matches no row raises serialization_failure
-- (40001): something changed meanwhile, and the router reads and decides
-- again.  Its functions (R__router_functions.sql) only write; they build
-- no event.

ALTER TABLE router.transfer ADD COLUMN version integer NOT NULL DEFAULT 0;
ALTER TABLE router.clue ADD COLUMN version integer NOT NULL DEFAULT 0;

-- The integrator's work order of a clue submitted over the bus
-- (ClueReceived.origin), carried on every event about the clue: '' when
-- the clue came over HTTP.
ALTER TABLE router.clue ADD COLUMN origin_producer text NOT NULL DEFAULT '',
                        ADD COLUMN origin_reference text NOT NULL DEFAULT '';

-- Replaced by router_transfer.c and the functions of R__router_functions.sql.
DROP FUNCTION IF EXISTS router.api_transfer_request(uuid, text, text, text, text, text);
DROP FUNCTION IF EXISTS router.api_transfer_answer(uuid, text, text, boolean, text, text);
DROP FUNCTION IF EXISTS router.api_transfer_decide(uuid, text, text, text, text, text);
DROP FUNCTION IF EXISTS router.emit_transfer(text, uuid, uuid, text, text, text, text, text, text, text);
