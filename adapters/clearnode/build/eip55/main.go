// nitrocert-eip55 prints the EIP-55 checksummed form of each address argument.
// fund.sh uses it: clearnode only sees ledger rows whose wallet is checksummed.
package main

import (
	"fmt"
	"os"

	"github.com/ethereum/go-ethereum/common"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: nitrocert-eip55 0xADDRESS...")
		os.Exit(2)
	}
	for _, a := range os.Args[1:] {
		if !common.IsHexAddress(a) || len(a) != 42 {
			fmt.Fprintf(os.Stderr, "not a 0x-prefixed 20-byte hex address: %q\n", a)
			os.Exit(1)
		}
		fmt.Println(common.HexToAddress(a).Hex())
	}
}
