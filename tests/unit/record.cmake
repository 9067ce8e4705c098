# The record module (record/): paths into records, corpus lines into
# records. And the one data-case runner: every domain of the registry
# against its hand-built cases in tests/data/DOMAIN/.
tf_unit_test(test_record LIBS tf_record)
tf_unit_test(test_cases LIBS tf_job)
# The arith domain beyond its data cases: outputs that are not UTF-8 (an
# endpoint's), the prompt verbatim, JSON numbers as references.
tf_unit_test(test_arith_domain LIBS tf_job)
