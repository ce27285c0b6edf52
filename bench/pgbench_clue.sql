-- pgbench script for bench/intake.sh: the plain transaction that storing one
-- clue comes down to, as the ceiling intake is compared against.  One clue
-- row of the size bench/clue.lua sends (about 1 KB of Chinese text in the
-- description) and one outbox row carrying it, committed together, with no
-- function call, no producer-row lock and no idempotency lookup; ids and
-- keys are unique per transaction (gen_random_uuid(), random()).  Runs on
-- intake's schema (gy-intake applies the migrations first) under its own
-- producer name, so intake's rows and sequences are not touched.
--
--   pgbench -n -c 64 -j 2 -T 30 -f bench/pgbench_clue.sql gongyi
\set seq random(1, 9000000000000000000)
\set f random(1, 16)
\set r random(1, 35)
\set n random(1, 1000000)
BEGIN;
INSERT INTO intake.clue (id, receipt_code, title, description, field_code, region_code, lat, lon,
    address, occurred_at, attachments, source_channel, reporter_sealed, reporter_subject,
    idempotency_key, body_hash, producer, sequence)
VALUES (gen_random_uuid(), 'PB-' || gen_random_uuid(), '企业夜间偷排含油污水（第' || :n || '号）',
    '本人多次路过该处，发现问题已经持续两个多月，周边居民反映强烈。每天晚上十点以后情况尤其严重，空气中有明显的刺鼻气味，附近河面还漂浮着死鱼。曾经向有关部门打电话反映过，答复说会派人核查，但至今没有看到任何整改。现场有明显的痕迹，我拍摄了照片和视频，可以在需要时提供给检察机关。附近有一所小学和两个居民小区，很多老人和孩子每天经过，存在较大的安全隐患。据了解，相关单位没有办理任何审批手续，也没有采取必要的防护措施。希望检察机关能够依法履行公益诉讼职责，督促相关行政机关尽快处理。问题所在位置比较隐蔽，从主路上不容易看到，需要从东侧的小路进入。周末白天也能看到有车辆进出，车上装载的物品用篷布遮盖，去向不明。根据附近商户的说法，类似情况去年也出现过，当时处理以后不久又恢复了原样。',
    (ARRAY['ecology','food_drug','state_property','state_land','heroes_martyrs','minors','military','work_safety','personal_info','anti_monopoly','anti_telecom_fraud','agri_quality','womens_rights','barrier_free','cultural_relics','other'])[:f],
    (ARRAY['140200','140212','140213','140214','140215','140221','140222','140223','140224','140225','140226','430100','430102','430103','430104','430105','430111','430112','430121','430181','430182','321100','321102','321111','321112','321181','321182','321183','410900','410902','410922','410923','410926','410927','410928'])[:r],
    35.0 + random() * 5, 112.0 + random() * 5, '山西省大同市平城区滨河东路' || :n || '号附近',
    now() - interval '3 days', '[]', 'web', NULL, NULL,
    'pgbench-' || gen_random_uuid(), sha256(:seq::text::bytea), 'pgbench', :seq);
INSERT INTO intake.outbox (producer, sequence, event_id, type, time_ms, trace_id, procuratorate,
    body)
VALUES ('pgbench', :seq, gen_random_uuid(), 'ClueReceived',
    (extract(epoch FROM now()) * 1000)::bigint, md5(random()::text),
    (ARRAY['140200','140212','140213','140214','140215','140221','140222','140223','140224','140225','140226','430100','430102','430103','430104','430105','430111','430112','430121','430181','430182','321100','321102','321111','321112','321181','321182','321183','410900','410902','410922','410923','410926','410927','410928'])[:r],
    convert_to('企业夜间偷排含油污水（第' || :n || '号）本人多次路过该处，发现问题已经持续两个多月，周边居民反映强烈。每天晚上十点以后情况尤其严重，空气中有明显的刺鼻气味，附近河面还漂浮着死鱼。曾经向有关部门打电话反映过，答复说会派人核查，但至今没有看到任何整改。现场有明显的痕迹，我拍摄了照片和视频，可以在需要时提供给检察机关。附近有一所小学和两个居民小区，很多老人和孩子每天经过，存在较大的安全隐患。据了解，相关单位没有办理任何审批手续，也没有采取必要的防护措施。希望检察机关能够依法履行公益诉讼职责，督促相关行政机关尽快处理。问题所在位置比较隐蔽，从主路上不容易看到，需要从东侧的小路进入。周末白天也能看到有车辆进出，车上装载的物品用篷布遮盖，去向不明。根据附近商户的说法，类似情况去年也出现过，当时处理以后不久又恢复了原样。', 'UTF8'));
COMMIT;
