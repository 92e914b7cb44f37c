-- A modulefile for the launch tests (docs/launchers.md): loading it sets one variable.
whatis("Cuttle's test module")
setenv("LAUNCH_TEST_MODULE", "loaded")
