# cmake -DSOURCE_DIR=client/node -DBINARY_DIR=<build>/client/node -DNPM=npm -P npm_ci.cmake
#
# Installs the Node client's locked dependencies into BINARY_DIR/node_modules
# with `npm ci`, unless the package-lock.json they were installed from is the
# current one. The stamp lives inside node_modules, which `npm ci` deletes
# first, so an interrupted install is redone.
set(stamp ${BINARY_DIR}/node_modules/.flowgrid-package-lock.json)
if(EXISTS ${stamp})
  file(SHA256 ${SOURCE_DIR}/package-lock.json wanted)
  file(SHA256 ${stamp} installed)
  if(wanted STREQUAL installed)
    message(STATUS "node_modules is up to date with package-lock.json")
    return()
  endif()
endif()
file(COPY ${SOURCE_DIR}/package.json ${SOURCE_DIR}/package-lock.json DESTINATION ${BINARY_DIR})
# --ignore-scripts: no dependency needs an install script (protobufjs's only
# prints a version warning), and none should run at build time.
execute_process(COMMAND ${NPM} ci --no-audit --no-fund --ignore-scripts
                WORKING_DIRECTORY ${BINARY_DIR} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "npm ci in ${BINARY_DIR} failed (${status}): it needs the npm registry")
endif()
file(COPY_FILE ${SOURCE_DIR}/package-lock.json ${stamp})
