# tracefarm serve end to end (gen -> serve -> run). The server is
# "tracefarm serve" once coordinator/main.c dispatches it, else the
# test_serve executable (same tf_serve_main).
add_test(NAME serve COMMAND bash ${PROJECT_SOURCE_DIR}/tests/integration/serve.sh)
set_tests_properties(serve PROPERTIES
  LABELS "integration;serve"
  TIMEOUT 300
  ENVIRONMENT "TF_BIN=$<TARGET_FILE:tracefarm>;TF_SERVE_FALLBACK=$<TARGET_FILE:test_serve>;TF_SRC=${PROJECT_SOURCE_DIR};TF_TMP=${PROJECT_BINARY_DIR}/tests/tmp/serve")
