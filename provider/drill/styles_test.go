package drill_test

// The drill imitates providers through the styles their adapters declare
// (provider.RegisterDrillStyle): the tests link the adapters in, as the
// command does.
import _ "reclaim/provider/all" // every adapter, as the command links them
