# The fetch client and the response cache (fetch/).
tf_unit_test(test_cache LIBS tf_fetch tf_common)
tf_unit_test(test_fetch LIBS tf_fetch tf_common m)
# Against a real "tracefarm serve" on 127.0.0.1 (started and stopped by the test).
tf_unit_test(test_fetch_serve LIBS tf_fetch tf_common ARGS $<TARGET_FILE:tracefarm>
             LABELS "integration;fetch")
add_dependencies(test_fetch_serve tracefarm)
