# The record module (record/): paths into records, corpus lines into
# records. And the one data-case runner: every domain of the registry
# against its hand-built cases in tests/data/DOMAIN/.
tf_unit_test(test_record LIBS tf_record)
tf_unit_test(test_cases LIBS tf_job)
