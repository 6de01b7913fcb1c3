-- wrk script for S4: every request is a POST /fetch of one URL (FETCH_URL).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"urls":["' .. os.getenv("FETCH_URL") .. '"],"concurrency":1}'
