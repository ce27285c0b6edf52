# gy_add_service: one service from the kit (docs/kit.md).
#
#   gy_add_service(NAME intake
#       SOURCES intake_clue.c intake_server.c ...   # the service's library
#       BINARY gy-intake MAIN main.c                # optional: its program
#       TESTS intake_clue)                          # test_<module>.c -> unit_<module>
#
# Adds the static library NAME (its sources plus migrations/*.sql embedded as
# NAME_migrations / NAME_migrations_count, see gy_embed_migrations.cmake),
# linked to gy_common, with GY_DEFAULT_REFDATA_DIR pointing at reference/;
# the binary, installed; and one cmocka unit test per module in TESTS.
include_guard(GLOBAL)
set(GY_EMBED_MIGRATIONS ${CMAKE_CURRENT_LIST_DIR}/gy_embed_migrations.cmake)

function(gy_add_service)
    cmake_parse_arguments(S "" "NAME;BINARY;MAIN" "SOURCES;TESTS;LIBS" ${ARGN})
    if(NOT S_NAME OR NOT S_SOURCES)
        message(FATAL_ERROR "gy_add_service needs NAME and SOURCES")
    endif()
    file(GLOB migrations CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/migrations/*.sql)
    list(SORT migrations)
    set(embedded ${CMAKE_CURRENT_BINARY_DIR}/${S_NAME}_migrations.c)
    add_custom_command(
        OUTPUT ${embedded}
        COMMAND ${CMAKE_COMMAND} -DOUT=${embedded} -DNAME=${S_NAME}_migrations
                "-DFILES=${migrations}" -P ${GY_EMBED_MIGRATIONS}
        DEPENDS ${migrations} ${GY_EMBED_MIGRATIONS}
        COMMENT "embedding ${S_NAME} migrations"
        VERBATIM)

    add_library(${S_NAME} STATIC ${S_SOURCES} ${embedded})
    target_include_directories(${S_NAME} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
    target_compile_definitions(${S_NAME} PRIVATE
        _GNU_SOURCE GY_DEFAULT_REFDATA_DIR="${PROJECT_SOURCE_DIR}/reference")
    target_link_libraries(${S_NAME} PUBLIC gy_common ${S_LIBS})

    if(S_BINARY)
        add_executable(${S_BINARY} ${S_MAIN})
        target_link_libraries(${S_BINARY} ${S_NAME})
        install(TARGETS ${S_BINARY} RUNTIME DESTINATION bin)
    endif()

    foreach(module ${S_TESTS})
        add_executable(test_${module} test_${module}.c)
        target_link_libraries(test_${module} ${S_NAME} PkgConfig::CMOCKA)
        target_compile_definitions(test_${module} PRIVATE
            GY_DEFAULT_REFDATA_DIR="${PROJECT_SOURCE_DIR}/reference")
        add_test(NAME unit_${module} COMMAND test_${module})
        set_tests_properties(unit_${module} PROPERTIES TIMEOUT 60)
    endforeach()
endfunction()
