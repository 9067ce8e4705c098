# The include rules of docs/architecture.md ("Floors"): no module includes
# a header of a higher floor (a second, python3 only).
add_test(NAME floors COMMAND python3 ${PROJECT_SOURCE_DIR}/tests/lint/floors.py ${PROJECT_SOURCE_DIR})
set_tests_properties(floors PROPERTIES LABELS "unit;lint" TIMEOUT 60)
