# Fuzz targets. Every build replays the saved corpus of each target as a
# CTest test (label "fuzz"); with -DTF_FUZZ=ON and clang, each target is
# also built as a libFuzzer binary (scripts/fuzz.sh runs them).
set(TF_FUZZ_TARGETS
    "fuzz_maze:tf_verify"
    "fuzz_job:tf_job"
    "fuzz_corpus:tf_farm"
    "fuzz_record:tf_job"
    "fuzz_response:tf_fetch"
    "fuzz_path:tf_record"
    "fuzz_arith_expr:tf_arith"
    "fuzz_arith_scan:tf_arith"
    "fuzz_serve_arith:tf_serve"
    "fuzz_plantext_prompt:tf_planning"
    "fuzz_plantext_plan:tf_planning"
    "fuzz_pddl:tf_planning")
foreach(spec ${TF_FUZZ_TARGETS})
  string(REPLACE ":" ";" parts "${spec}")
  list(GET parts 0 name)
  list(GET parts 1 libs)
  separate_arguments(libs)
  set(src ${PROJECT_SOURCE_DIR}/tests/fuzz/${name}.c)
  add_executable(${name}_replay ${src} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay.c)
  target_link_libraries(${name}_replay PRIVATE ${libs})
  add_test(NAME ${name}_replay
           COMMAND ${name}_replay ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  set_tests_properties(${name}_replay PROPERTIES LABELS "fuzz;unit" TIMEOUT 300)
  if(TF_FUZZ)
    add_executable(${name} ${src})
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${name} PRIVATE ${libs})
  endif()
endforeach()
