# The include rules of docs/architecture.md ("Floors"): no module includes
# a header of a higher floor (a second, python3 only).
add_test(NAME floors COMMAND python3 ${PROJECT_SOURCE_DIR}/tests/lint/floors.py ${PROJECT_SOURCE_DIR})
set_tests_properties(floors PROPERTIES LABELS "unit;lint" TIMEOUT 60)

# clang-format and cppcheck on every C file of the project (about 20 s).
add_test(NAME style COMMAND bash ${PROJECT_SOURCE_DIR}/tests/lint/style.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(style PROPERTIES LABELS "unit;lint" TIMEOUT 300 SKIP_RETURN_CODE 77)
