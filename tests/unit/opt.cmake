# The option tables of every subcommand (common/opt.c): parsing, errors and
# the generated help.
tf_unit_test(test_opt LIBS tf_common)
