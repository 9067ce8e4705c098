# tracefarm serve (serve/): the synthetic maze model and the replay table as
# functions, and the HTTP server for real on 127.0.0.1 (the test re-executes
# itself as "test_serve serve ARGS...", which runs tf_serve_main) with libcurl.
tf_unit_test(test_serve LIBS tf_serve tf_verify PkgConfig::CURL LABELS "unit;serve")
